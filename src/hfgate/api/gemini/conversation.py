"""Gemini's ``contents`` and ``systemInstruction`` as a conversation of chat messages.

Source: the Gemini API reference, ``Content`` and ``Part``: a turn's ``role`` is ``user`` or ``model``;
its parts are ``text``, ``inlineData`` (base64 with its ``mimeType``), ``fileData`` (a ``fileUri``),
``functionCall`` (``{id?, name, args}``) on a model turn and ``functionResponse`` (``{id?, name,
response}``) on the next user turn; ``thought: true`` marks a model's thinking. A ``functionCall``
without an ``id`` gets one here (``call_<turn>_<n>``); a ``functionResponse`` answers the call with its
``id``, else the earliest unanswered call of that ``name``. Earlier thinking is not sent on (as on the
Messages face); images go as image parts; other media are refused naming the part.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from hfgate.api.chat_schema import nonempty_conversation
from hfgate.api.gemini.schema import Content, Part
from hfgate.chat.messages import ChatMessage, ContentPart, ImagePart, TextPart
from hfgate.chat.tools import ToolCall
from hfgate.errors import BadRequestError, RequestValidationError

_ROLES = {"user": "user", "model": "assistant", "function": "user", "tool": "user"}
_NO_TURN = (
    "a user turn whose parts hold only a thoughtSignature (or no part) adds no message, and here no "
    "systemInstruction text or turn is left; send at least one user turn with a text part"
)


def conversation(system: Content | None, contents: list[Content]) -> tuple[ChatMessage, ...]:
    """The chat messages, system instruction first.

    Raises:
        RequestValidationError, BadRequestError: a turn or part hfgate cannot read, or no message is left
            (``EmptyInputError``); the message names it.
    """
    if not contents:
        raise RequestValidationError(["Field [contents] must hold at least one turn"], param="contents")
    messages: list[ChatMessage] = []
    if system is not None and (text := _system_text(system)):
        messages.append(ChatMessage(role="system", content=text))
    pending: list[ToolCall] = []
    for i, turn in enumerate(contents):
        role = _ROLES.get(turn.role or "user")
        if role is None:
            raise RequestValidationError(
                [f'Field [contents[{i}].role] must be "user" or "model", got [{turn.role}]'],
                param=f"contents[{i}].role",
            )
        if role == "assistant":
            message = _model_turn(i, turn.parts)
            pending = list(message.tool_calls)
            messages.append(message)
        else:
            messages.extend(_user_turn(i, turn.parts, pending))
    return nonempty_conversation(tuple(messages), field="contents", why=_NO_TURN)


def _system_text(system: Content) -> str:
    texts = [part.text for part in system.parts if part.text]
    return "\n".join(texts)


def _model_turn(i: int, parts: list[Part]) -> ChatMessage:
    texts: list[str] = []
    calls: list[ToolCall] = []
    for j, part in enumerate(parts):
        if part.function_call is not None:
            call = part.function_call
            arguments = orjson.dumps(call.args).decode()
            calls.append(ToolCall(id=call.id or f"call_{i}_{len(calls)}", name=call.name, arguments=arguments))
        elif part.text is not None and not part.thought:
            texts.append(part.text)
        elif part.text is None and not _signature_only(part):
            _refuse(f"contents[{i}].parts[{j}]", part)
    return ChatMessage(role="assistant", content="".join(texts), tool_calls=tuple(calls))


def _user_turn(i: int, parts: list[Part], pending: list[ToolCall]) -> Iterable[ChatMessage]:
    """The turn's tool results (one ``tool`` message each, first), then its own content, if any."""
    content: list[ContentPart] = []
    for j, part in enumerate(parts):
        where = f"contents[{i}].parts[{j}]"
        if part.function_response is not None:
            yield _tool_result(where, part, pending)
        elif part.text is not None:
            content.append(TextPart(text=part.text))
        elif part.inline_data is not None or part.file_data is not None:
            content.append(_image(where, part))
        elif not _signature_only(part):
            _refuse(where, part)
    if content:
        text = "".join(p.text for p in content if isinstance(p, TextPart))
        images = any(isinstance(p, ImagePart) for p in content)
        yield ChatMessage(role="user", content=text, parts=tuple(content) if images else ())


def _tool_result(where: str, part: Part, pending: list[ToolCall]) -> ChatMessage:
    answer = part.function_response
    assert answer is not None
    call = next((c for c in pending if answer.id is not None and c.id == answer.id), None)
    call = call or next((c for c in pending if c.name == answer.name), None)
    if call is None:
        raise RequestValidationError(
            [f"Field [{where}.functionResponse] answers [{answer.name}], which the model turn before it did not "
             "call; send each functionResponse in the user turn after the model turn holding its functionCall"],
            param=f"{where}.functionResponse",
        )  # fmt: skip
    pending.remove(call)
    return ChatMessage(role="tool", content=orjson.dumps(answer.response).decode(), tool_call_id=call.id)


def _image(where: str, part: Part) -> ImagePart:
    if part.inline_data is not None:
        blob = part.inline_data
        if blob.mime_type.startswith("image/"):
            return ImagePart(url=f"data:{blob.mime_type};base64,{blob.data}")
        raise BadRequestError(
            f"[{where}.inlineData.mimeType] is [{blob.mime_type}]; hfgate's chat models take text and images "
            "(image/png, image/jpeg, image/webp, image/gif) only",
            param=f"{where}.inlineData.mimeType",
        )
    file = part.file_data
    assert file is not None
    if file.file_uri.startswith(("http://", "https://")):
        return ImagePart(url=file.file_uri)
    raise BadRequestError(
        f"[{where}.fileData.fileUri] is [{file.file_uri}], a file of Gemini's Files API, which hfgate does not "
        "hold; send the image as inlineData (base64) or an http(s) url",
        param=f"{where}.fileData.fileUri",
    )


def _signature_only(part: Part) -> bool:
    """A part holding only a thought signature (Gemini 3 sends them alone): nothing to read."""
    return part.thought_signature is not None and part.executable_code is None and part.code_execution_result is None


def _refuse(where: str, part: Part) -> None:
    if part.executable_code is not None or part.code_execution_result is not None:
        raise BadRequestError(f"[{where}] holds code execution, which hfgate does not run; leave it out", param=where)
    raise RequestValidationError(
        [f"Field [{where}] must hold one of text, inlineData, fileData, functionCall or functionResponse"],
        param=where,
    )
